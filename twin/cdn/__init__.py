"""The CDN twin: CloudFront for the declared distribution, on loopback (``python -m twin.cdn``).

``server`` (listeners), ``http1`` (viewer connections), ``edge`` (behaviours, the cache,
origins), ``signed`` (signed URLs and cookies), ``cache`` (TTLs, the LRU), ``origins`` (S3
through Origin Access Control, the load balancer), ``compress``, ``invalidations``, ``pki``
(its certificate authority), ``config`` (what roles/local_cdn renders).
"""
