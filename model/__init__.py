"""What training and serving share: settings, features, the model bundle, the estimator."""
