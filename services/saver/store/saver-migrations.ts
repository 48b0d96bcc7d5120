import type { Migration } from '../../../shared/mysql/mysql-migrate';

/** The saver's MySQL schema, applied by runMigrations(pool, 'saver', saverMigrations, log). */
export const saverMigrations: Migration[] = [
  {
    version: 1,
    name: 'create messages and inbox',
    up: [
      `CREATE TABLE IF NOT EXISTS messages (
        app VARCHAR(64) NOT NULL,
        id VARCHAR(64) NOT NULL,
        kind VARCHAR(16) NOT NULL,
        topic VARCHAR(255) NULL,
        payload MEDIUMBLOB NOT NULL,
        created BIGINT NOT NULL,
        expires BIGINT NOT NULL,
        qos TINYINT NOT NULL,
        PRIMARY KEY (app, id),
        KEY messages_expires (expires)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      `CREATE TABLE IF NOT EXISTS inbox (
        seq BIGINT NOT NULL AUTO_INCREMENT,
        app VARCHAR(64) NOT NULL,
        device VARCHAR(128) NOT NULL,
        msg_id VARCHAR(64) NOT NULL,
        attempts INT NOT NULL DEFAULT 0,
        created BIGINT NOT NULL,
        expires BIGINT NOT NULL,
        PRIMARY KEY (app, device, msg_id),
        UNIQUE KEY inbox_seq (seq),
        KEY inbox_expires (expires)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    ],
  },
  {
    version: 2,
    name: 'add dead_letters',
    up: [
      `CREATE TABLE IF NOT EXISTS dead_letters (
        seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        app VARCHAR(64) NOT NULL,
        device VARCHAR(128) NOT NULL,
        msg_id VARCHAR(64) NOT NULL,
        attempts INT NOT NULL,
        at BIGINT NOT NULL,
        KEY dead_letters_app (app, seq)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    ],
  },
  {
    version: 3,
    name: 'add message_stats',
    up: [
      `CREATE TABLE IF NOT EXISTS message_stats (
        app VARCHAR(64) NOT NULL,
        id VARCHAR(64) NOT NULL,
        kind VARCHAR(16) NOT NULL DEFAULT 'unicast',
        qos TINYINT NOT NULL DEFAULT 1,
        created BIGINT NOT NULL DEFAULT 0,
        expires BIGINT NOT NULL DEFAULT 0,
        keep_until BIGINT NOT NULL DEFAULT 0,
        targets INT NOT NULL DEFAULT 0,
        delivered INT NOT NULL DEFAULT 0,
        acked INT NOT NULL DEFAULT 0,
        dead_lettered INT NOT NULL DEFAULT 0,
        PRIMARY KEY (app, id),
        KEY message_stats_keep (keep_until)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    ],
  },
  {
    version: 4,
    name: 'add broadcast/topic logs, watermarks and scheduled states',
    up: [
      `ALTER TABLE message_stats ADD COLUMN state VARCHAR(16) NULL, ADD COLUMN logged TINYINT NOT NULL DEFAULT 0`,
      `CREATE TABLE IF NOT EXISTS log_messages (
        app VARCHAR(64) NOT NULL,
        log VARCHAR(255) NOT NULL,
        seq BIGINT NOT NULL,
        id VARCHAR(64) NOT NULL,
        kind VARCHAR(16) NOT NULL,
        payload MEDIUMBLOB NOT NULL,
        created BIGINT NOT NULL,
        expires BIGINT NOT NULL,
        qos TINYINT NOT NULL,
        PRIMARY KEY (app, log, seq),
        KEY log_messages_expires (expires)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      `CREATE TABLE IF NOT EXISTS log_heads (
        app VARCHAR(64) NOT NULL,
        log VARCHAR(255) NOT NULL,
        seq BIGINT NOT NULL,
        max_expires BIGINT NOT NULL,
        PRIMARY KEY (app, log)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      `CREATE TABLE IF NOT EXISTS watermarks (
        app VARCHAR(64) NOT NULL,
        device VARCHAR(128) NOT NULL,
        log VARCHAR(255) NOT NULL,
        seq BIGINT NOT NULL,
        keep_until BIGINT NOT NULL,
        PRIMARY KEY (app, device, log),
        KEY watermarks_keep (keep_until)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    ],
  },
];
