from assistant.surfaces.cli import run

run()
