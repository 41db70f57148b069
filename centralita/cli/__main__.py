from centralita.cli import main

main()
