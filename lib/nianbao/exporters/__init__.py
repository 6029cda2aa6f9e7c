"""nbconvert exporters for nianbao reports, registered under the ``nbconvert.exporters`` entry point."""
