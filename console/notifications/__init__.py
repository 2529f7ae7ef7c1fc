"""The notification screens: failed WeChat messages, the WeChat settings, where messages wait."""
