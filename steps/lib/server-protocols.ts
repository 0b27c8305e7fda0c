/**
 * Servers that do not speak plain HTTP, by program and by well-known port, each with a probe that
 * speaks what it does and, for databases, the server's own client and how to tell the image has it.
 * Step 14 (healthcheck) reads these so that no HTTP probe is proposed for them.
 */

/** `{port}` in a probe's text, filled in. */
export function withPort(text: string, port: number): string {
  return text.replaceAll('{port}', String(port));
}

/** A server's own client, which asks it in its protocol. */
export interface ServerClient {
  /** The server, as a title names it. */
  server: string;
  program: string;
  /** The HEALTHCHECK command; `{port}` is the port. */
  command: string;
  /** When the command passes. */
  passes: string;
  /** How it may fail on a server that works. */
  caveat: string;
  /** Images (official name, tag) that carry the client. */
  image: (name: string, tag: string) => boolean;
  /** Packages that install it, alone or with the server. */
  packages: RegExp;
  /** Server programs whose package brings the client along. */
  programs: string[];
}

/** A protocol that is not plain HTTP, with the port it is known by and a probe that speaks it. */
export interface Protocol {
  name: string;
  port: number;
  /** The advice's probe; `{port}` is the port. */
  probe: string;
  client?: ServerClient;
}

const POSTGRES: Protocol = {
  name: 'the PostgreSQL protocol',
  port: 5432,
  probe: 'HEALTHCHECK CMD pg_isready -h 127.0.0.1 -p {port}',
  client: {
    server: 'PostgreSQL',
    program: 'pg_isready',
    command: 'pg_isready -h 127.0.0.1 -p {port} || exit 1',
    passes: 'it passes when the server accepts connections, with no password needed',
    caveat: 'pg_isready asks 127.0.0.1:{port}: where the entrypoint sets up the database on the first start (as the official image\'s does), the server listens only on its socket file until then, and a server that always does (listen_addresses = \'\') or listens on another port fails every probe',
    image: (name) => name === 'postgres' || name === 'postgis/postgis',
    packages: /^postgresql(-\d+|\d+)?(-client(-\d+)?)?$/,
    programs: ['postgres'],
  },
};
const REDIS: Protocol = {
  name: 'the Redis protocol',
  port: 6379,
  probe: 'HEALTHCHECK CMD redis-cli -h 127.0.0.1 -p {port} ping | grep -q PONG',
  client: {
    server: 'Redis',
    program: 'redis-cli',
    command: 'redis-cli -h 127.0.0.1 -p {port} ping | grep -q PONG || exit 1',
    passes: 'it passes when the server answers PONG',
    caveat: 'a server with a password (requirepass) answers NOAUTH instead of PONG, so every probe fails: give redis-cli the password through REDISCLI_AUTH in the container\'s environment',
    image: (name) => name === 'redis',
    packages: /^(redis|redis-server|redis-tools)$/,
    programs: ['redis-server'],
  },
};
const MYSQL: Protocol = {
  name: 'the MySQL protocol',
  port: 3306,
  probe: 'HEALTHCHECK CMD mysqladmin ping -h 127.0.0.1 -P {port} (mariadb-admin ping in MariaDB 11; the mariadb image has healthcheck.sh --connect --innodb_initialized)',
  client: {
    server: 'MySQL',
    program: 'mysqladmin',
    command: 'mysqladmin ping -h 127.0.0.1 -P {port} --silent || exit 1',
    passes: 'it passes when the server runs, even when it refuses the probe\'s login',
    caveat: 'where the entrypoint sets up the database on the first start (as the official image\'s does), it runs a temporary server without networking: the probe fails until the real server listens on 127.0.0.1:{port}',
    image: (name) => name === 'mysql',
    packages: /^(mysql-server|mysql-client|mysql-community-server|mysql-community-client)$/,
    programs: [],
  },
};
const MONGODB: Protocol = {
  name: 'the MongoDB protocol',
  port: 27017,
  probe: 'HEALTHCHECK CMD mongosh --quiet --port {port} --eval "db.adminCommand(\'ping\')"',
  client: {
    server: 'MongoDB',
    program: 'mongosh',
    command: 'mongosh --quiet --port {port} --eval "db.adminCommand(\'ping\')" || exit 1',
    passes: 'it passes when the server answers a ping, which needs no login',
    caveat: 'mongosh takes a second or more to start: on a busy host it may pass the 5 s timeout, so raise --timeout if probes time out',
    // mongo:6 and later carry mongosh; earlier tags have only the old mongo shell.
    image: (name, tag) => name === 'mongo' && Number(/^\d+/.exec(tag)?.[0] ?? Infinity) >= 6,
    packages: /^mongodb-mongosh$/,
    programs: [],
  },
};
const MEMCACHED: Protocol = { name: 'the memcached protocol', port: 11211, probe: 'HEALTHCHECK CMD nc -z 127.0.0.1 {port}' };
export const FASTCGI: Protocol = { name: 'FastCGI', port: 9000, probe: 'HEALTHCHECK CMD cgi-fcgi -bind -connect 127.0.0.1:{port} (package libfcgi-bin or fcgi), or the php-fpm-healthcheck script with ping.path set' };

/** Protocols of known server programs, whatever port they are given. */
export const SERVER_PROTOCOLS = new Map<string, Protocol>([
  ['postgres', POSTGRES],
  ['redis-server', REDIS],
  ['mysqld', MYSQL],
  ['mariadbd', MYSQL],
  ['mongod', MONGODB],
  ['memcached', MEMCACHED],
]);

const GAME_SERVER_PROBE = "the game server's own status query (mc-monitor status --port {port} for Minecraft, an A2S or RCON query for Source servers), or a check that its process runs";

/** Well-known ports that do not answer plain HTTP, with a probe that speaks what they do. */
export const NOT_HTTP = new Map<number, Protocol>(
  [
    { name: 'FTP', port: 21, probe: 'HEALTHCHECK CMD nc -z 127.0.0.1 {port} (a TCP connect; nc must be in the image), or the server\'s own check' },
    { name: 'SSH', port: 22, probe: 'HEALTHCHECK CMD nc -z 127.0.0.1 {port} (a TCP connect; nc must be in the image), or the server\'s own check' },
    { name: 'SMTP', port: 25, probe: 'HEALTHCHECK CMD nc -z 127.0.0.1 {port} (or the mail server\'s own status command)' },
    { name: 'DNS', port: 53, probe: 'HEALTHCHECK CMD dig +short -p {port} @127.0.0.1 localhost (or nslookup)' },
    { name: 'IMAP', port: 143, probe: 'HEALTHCHECK CMD nc -z 127.0.0.1 {port} (or the mail server\'s own status command)' },
    { name: 'LDAP', port: 389, probe: 'HEALTHCHECK CMD ldapsearch -x -H ldap://127.0.0.1:{port} -b "" -s base' },
    { name: 'HTTPS', port: 443, probe: 'HEALTHCHECK CMD curl -fsSk -o /dev/null https://localhost:{port}/ || exit 1' },
    { name: 'SMTP', port: 465, probe: 'HEALTHCHECK CMD nc -z 127.0.0.1 {port} (or the mail server\'s own status command)' },
    { name: 'SMTP', port: 587, probe: 'HEALTHCHECK CMD nc -z 127.0.0.1 {port} (or the mail server\'s own status command)' },
    { name: 'IMAP over TLS', port: 993, probe: 'HEALTHCHECK CMD nc -z 127.0.0.1 {port} (or the mail server\'s own status command)' },
    { name: 'OpenVPN', port: 1194, probe: 'a check of the openvpn process or its management interface' },
    { name: 'the SQL Server protocol', port: 1433, probe: 'HEALTHCHECK CMD sqlcmd -S 127.0.0.1,{port} -Q "SELECT 1" with the server\'s credentials' },
    { name: 'MQTT', port: 1883, probe: 'HEALTHCHECK CMD mosquitto_sub -p {port} -t \'$SYS/#\' -C 1 -W 3 (or nc -z 127.0.0.1 {port})' },
    { name: 'the ZooKeeper protocol', port: 2181, probe: 'HEALTHCHECK CMD echo ruok | nc 127.0.0.1 {port} | grep -q imok' },
    { name: 'a Valheim server\'s protocol', port: 2456, probe: GAME_SERVER_PROBE },
    MYSQL,
    { name: 'the NATS protocol', port: 4222, probe: 'a curl of http://localhost:8222/healthz, its monitoring port (nats-server -m 8222)' },
    POSTGRES,
    { name: 'AMQP', port: 5672, probe: 'HEALTHCHECK CMD rabbitmq-diagnostics -q ping' },
    REDIS,
    { name: 'the Neo4j Bolt protocol', port: 7687, probe: 'an HTTP probe of its HTTP port, 7474, instead' },
    { name: 'the Cassandra protocol', port: 9042, probe: 'HEALTHCHECK CMD cqlsh 127.0.0.1 {port} -e "describe keyspaces"' },
    { name: 'the Kafka protocol', port: 9092, probe: 'HEALTHCHECK CMD kafka-broker-api-versions.sh --bootstrap-server localhost:{port}' },
    MEMCACHED,
    { name: 'a Minecraft Bedrock server\'s protocol', port: 19132, probe: GAME_SERVER_PROBE },
    { name: 'the Minecraft protocol', port: 25565, probe: GAME_SERVER_PROBE },
    { name: 'Minecraft RCON', port: 25575, probe: GAME_SERVER_PROBE },
    { name: 'a Source game server\'s protocol (Steam)', port: 27015, probe: GAME_SERVER_PROBE },
    MONGODB,
    { name: 'a Factorio server\'s protocol', port: 34197, probe: GAME_SERVER_PROBE },
    { name: 'gRPC', port: 50051, probe: 'HEALTHCHECK CMD grpc_health_probe -addr=127.0.0.1:{port}, with the grpc_health_probe binary copied into the image' },
  ].map((p) => [p.port, p]),
);
