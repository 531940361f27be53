"""Strings of the app shell: global keys, command palette, errors."""

ES: dict[str, str] = {
    "key.language": "Idioma",
    "key.theme": "Tema",
    "key.help": "Ayuda",
    "key.quit": "Salir",
    "key.back": "Regresar",
    "ui.language_set": "Idioma: español",
    "ui.database_opening": "Abriendo la base de datos…",
    "cmd.switch_language": "Cambiar idioma",
    "cmd.switch_language_help": "Español ↔ English",
}
EN: dict[str, str] = {
    "key.language": "Language",
    "key.theme": "Theme",
    "key.help": "Help",
    "key.quit": "Quit",
    "key.back": "Back",
    "ui.language_set": "Language: English",
    "ui.database_opening": "Opening the database…",
    "cmd.switch_language": "Switch language",
    "cmd.switch_language_help": "Español ↔ English",
}
