"""What editors and the pipeline get out of the database: digest, export, search."""
