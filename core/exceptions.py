class ActionRefused(Exception):
    """A request the rules refuse; the message is for the person who made it."""
