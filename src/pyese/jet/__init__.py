"""pyese.jet"""
