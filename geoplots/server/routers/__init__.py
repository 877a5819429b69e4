"""HTTP routers, each built by a ``router()`` factory and included by ``create_app``.

Features, coverage, ingest and keys are dataclass factories (``FeaturesFactory`` ...) whose
``router`` is built in ``__post_init__`` from module-level handlers, as in titiler/tipg;
answers are described by the models of :mod:`geoplots.server.models`.
"""
