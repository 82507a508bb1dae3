"""pyese.storage.edb"""
