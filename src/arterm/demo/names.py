"""Word lists for realistic Mexican demo data."""

FIRST_NAMES = (
    "José", "María", "Juan", "Guadalupe", "Francisco", "Ana", "Luis", "Verónica", "Jorge", "Patricia", "Miguel",
    "Alejandra", "Carlos", "Rosa", "Fernando", "Gabriela", "Ricardo", "Leticia", "Eduardo", "Adriana", "Roberto",
    "Claudia", "Sergio", "Sofía", "Héctor", "Mónica", "Raúl", "Elena", "Arturo", "Norma", "Javier", "Lucía",
    "Alberto", "Martha", "Óscar", "Silvia", "Andrés", "Yolanda", "Manuel", "Beatriz", "Iván", "Ximena",
)
SURNAMES = (
    "Hernández", "García", "Martínez", "López", "González", "Pérez", "Rodríguez", "Sánchez", "Ramírez", "Cruz",
    "Flores", "Gómez", "Morales", "Vázquez", "Jiménez", "Reyes", "Díaz", "Torres", "Gutiérrez", "Ruiz", "Mendoza",
    "Aguilar", "Ortiz", "Moreno", "Castillo", "Romero", "Álvarez", "Méndez", "Chávez", "Rivera", "Juárez",
    "Ramos", "Domínguez", "Herrera", "Medina", "Castro", "Vargas", "Guzmán", "Velázquez", "Muñoz", "Rojas",
    "Contreras", "Salazar", "Luna", "Ortega", "Núñez", "Peña", "Cervantes", "Ibarra", "Zúñiga",
)
COMPANY_WORDS = (
    "Abarrotes", "Comercializadora", "Distribuidora", "Ferretería", "Servicios", "Constructora", "Grupo",
    "Importadora", "Transportes", "Papelería", "Farmacia", "Refaccionaria", "Muebles", "Alimentos",
    "Tecnología", "Consultores", "Industrias", "Textiles", "Agroproductos", "Logística", "Materiales",
)
COMPANY_NAMES = (
    "del Bajío", "del Norte", "Azteca", "Tolteca", "La Esperanza", "San Miguel", "El Sol", "Santa Fe", "Del Valle",
    "Monarca", "Los Altos", "Maya", "Pacífico", "Del Golfo", "Tres Ríos", "La Huasteca", "Sierra Madre", "Anáhuac",
    "Cuauhtémoc", "Xochimilco", "Tlaloc", "Chapultepec", "Coyoacán", "Mixteca", "Zapoteca", "Occidente",
)
COMPANY_TYPES = ("SA de CV", "S de RL de CV", "SAPI de CV", "SC", "SA")
STREETS = (
    "Av. Insurgentes Sur", "Calle Madero", "Av. Reforma", "Calle 5 de Mayo", "Av. Juárez", "Calle Hidalgo",
    "Av. Universidad", "Calle Morelos", "Blvd. Miguel Alemán", "Av. Revolución", "Calle Zaragoza", "Av. Vallarta",
    "Calle Allende", "Av. Constitución", "Calle Guerrero", "Av. Chapultepec", "Calle Independencia",
)
PLACES = (
    # (colonia, municipio, state, postal code prefix)
    ("Del Valle", "Benito Juárez", "Ciudad de México", "031"),
    ("Roma Norte", "Cuauhtémoc", "Ciudad de México", "067"),
    ("Polanco", "Miguel Hidalgo", "Ciudad de México", "115"),
    ("Coyoacán Centro", "Coyoacán", "Ciudad de México", "041"),
    ("Centro", "Guadalajara", "Jalisco", "441"),
    ("Providencia", "Guadalajara", "Jalisco", "446"),
    ("San Pedro Garza García Centro", "San Pedro Garza García", "Nuevo León", "662"),
    ("Obispado", "Monterrey", "Nuevo León", "640"),
    ("Centro", "Puebla", "Puebla", "720"),
    ("Centro", "Querétaro", "Querétaro", "760"),
    ("Jardines del Moral", "León", "Guanajuato", "371"),
    ("Centro", "Mérida", "Yucatán", "970"),
    ("Zona Río", "Tijuana", "Baja California", "223"),
    ("Centro", "Oaxaca de Juárez", "Oaxaca", "680"),
    ("Centro", "Toluca", "Estado de México", "500"),
    ("Lomas Verdes", "Naucalpan", "Estado de México", "532"),
)
PRODUCTS = (
    ("Servicio de mantenimiento mensual", "4500.00"), ("Licencia de software anual", "12800.00"),
    ("Consultoría (hora)", "950.00"), ("Papel bond caja 5000 hojas", "689.50"), ("Cemento gris 50 kg", "215.75"),
    ("Varilla corrugada 3/8", "189.90"), ("Tóner láser negro", "1349.00"), ("Flete local", "1800.00"),
    ("Aceite lubricante 19 L", "2350.00"), ("Renta de equipo", "7200.00"), ("Uniformes (pieza)", "385.00"),
    ("Café de Chiapas 1 kg", "289.00"), ("Mantenimiento preventivo", "3150.00"), ("Póliza de soporte", "5600.00"),
    ("Instalación eléctrica", "8900.00"), ("Capacitación (sesión)", "6400.00"), ("Material de empaque", "742.30"),
)
OPERATORS = (
    ("ana.garcia", "Ana García Torres"),
    ("luis.hernandez", "Luis Hernández Ruiz"),
    ("maria.lopez", "María López Castillo"),
    ("jorge.ramirez", "Jorge Ramírez Peña"),
)
