"""`python -m harvester …` runs the command-line tool (same as the `harvester` script)."""

from harvester.cli import main

if __name__ == "__main__":
    main(prog_name="harvester")
