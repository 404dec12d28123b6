"""One module per concept screen; the topic registry (vgtui/topics.py) lists them in order."""
