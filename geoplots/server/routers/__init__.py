"""HTTP routers, each built by a ``router()`` factory and included by ``create_app``."""
