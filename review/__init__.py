"""Staff review web app (Flask); the factory is ``review.app.create_app``."""
