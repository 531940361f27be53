from arterm.cli import main

main()
