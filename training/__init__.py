"""The data team's pipeline: fetch → prepare → train → evaluate → register."""
