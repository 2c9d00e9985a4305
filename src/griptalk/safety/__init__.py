"""Safety supervisor core: a default-deny command gate with latched stops (not a certified safety function)."""
from griptalk.safety.supervisor import Decision, SafetyConfig, SafetyEvent, SafetySupervisor, Status

__all__ = ["Decision", "SafetyConfig", "SafetyEvent", "SafetySupervisor", "Status"]
