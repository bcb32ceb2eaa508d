"""What the Snakemake workflow needs around the stages: the configuration and its schema (``config``),
checks before any job (``checks``), each rule's library code digest (``rule_code``), stage logs
(``stage_log``), the summary table (``summary``) and the report's figures (``figures``)."""
