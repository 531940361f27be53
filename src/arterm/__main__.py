from arterm.launch import main

main()
