"""Infrastructure: connections, servers, migrations, health, the console's services."""
