"""French wording of what the model returns as structured values, shared by the site and the API."""
