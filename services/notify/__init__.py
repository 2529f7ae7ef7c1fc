"""Telling patients: the outbox, WeChat delivery, the WeChat client, settings and secret."""
