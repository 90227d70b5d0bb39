"""The locust personas and what they share (see load/locustfile.py).

Only the persona modules import locust: pages.py and dataset.py stay importable from the test
suite, where gevent's monkey-patching would break asyncio.
"""
