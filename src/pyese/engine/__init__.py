"""pyese.engine"""
