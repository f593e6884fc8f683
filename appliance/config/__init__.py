"""Attune's configuration: layered YAML, a typed schema, and every problem reported at once.

config = load_config()                      # defaults → /etc/attune/conf.d → attune.yaml
config.hardware.ppg.address                 # 0x57, typed and read-only
config.origin("session.goal")               # "default" or "/etc/attune/attune.yaml:12"
"""

from appliance.config.errors import ConfigError, Problem
from appliance.config.loader import ETC_DIR, layer_files, load_config
from appliance.config.show import check_command, show_command
from appliance.config.values import DEFAULT_ORIGIN, Config, Section
from appliance.config.yamlread import AttuneYamlLoader, parse_yaml

__all__ = [
    "DEFAULT_ORIGIN",
    "ETC_DIR",
    "AttuneYamlLoader",
    "Config",
    "ConfigError",
    "Problem",
    "Section",
    "check_command",
    "layer_files",
    "load_config",
    "parse_yaml",
    "show_command",
]
