"""What training and serving share: settings, feature definitions, the model bundle, the estimator."""
