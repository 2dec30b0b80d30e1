"""The HTTP edges: thin DRF views and their serializers, on one shared base. The top
wing: it may import every other one, and none imports it."""
