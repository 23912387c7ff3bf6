from aureus.cli import main

main()
