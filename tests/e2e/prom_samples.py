#!/usr/bin/python3
"""Reads Prometheus's text format on stdin with the reference parser (Debian's
python3-prometheus-client) and prints each sample as one line, `name{k="v",...} value`, its labels
sorted, so that shell checks can grep for exact samples. Exits 1 when the text does not parse."""
import sys

from prometheus_client.parser import text_string_to_metric_families

try:
    for family in text_string_to_metric_families(sys.stdin.read()):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            value = sample.value
            text = str(int(value)) if float(value).is_integer() else repr(value)
            print(f"{sample.name}{{{labels}}} {text}")
except Exception as error:  # the parser raises ValueError and others on malformed input
    print(f"not Prometheus text: {error}", file=sys.stderr)
    sys.exit(1)
