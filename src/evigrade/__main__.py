from evigrade.cli import run

run()
