from leafgen.cli import main

main()
