"""The war-room map server (FastAPI): live maps, coverage and OGC API - Features over HTTP.

Create the app with :func:`geoplots.server.app.create_app`; run it with ``geoplots serve``.
"""
