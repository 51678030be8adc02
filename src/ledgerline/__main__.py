from ledgerline.cli.main import main

main()
