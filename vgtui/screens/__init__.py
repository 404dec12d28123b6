"""One module per concept screen; ``registry`` lists them in order."""
