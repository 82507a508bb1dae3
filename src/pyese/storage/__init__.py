"""pyese.storage"""
