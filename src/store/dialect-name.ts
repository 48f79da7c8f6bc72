/** The SQL databases the store runs on; migrations differ where their DDL does. */
export type SqlDialect = 'sqlite' | 'postgres';
