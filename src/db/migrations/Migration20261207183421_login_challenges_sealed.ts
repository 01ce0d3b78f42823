import { Migration } from '@mikro-orm/migrations';

// Challenges are sealed in their tokens (src/mfa/challenges.ts): the table keeps only the answered
// ones. Challenges pending during the upgrade are not readable any more (they last 5 minutes).
// Without rowid: the row is its primary key's b-tree, one page write per answer instead of two.
export class Migration20261207183421_login_challenges_sealed extends Migration {

  override name = 'Migration20261207183421_login_challenges_sealed';

  override up(): void | Promise<void> {
    this.addSql(`drop table if exists \`login_challenges\`;`);
    this.addSql(`create table \`login_challenges\` (\`id\` text not null primary key, \`expires_at\` datetime not null, \`used_at\` datetime null, \`failures\` integer not null default 0) without rowid;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`login_challenges\`;`);
    this.addSql(`create table \`login_challenges\` (\`id\` text not null primary key, \`token_hash\` text not null, \`user_id\` text not null, \`method\` text not null, \`created_at\` datetime not null, \`expires_at\` datetime not null, \`used_at\` datetime null, \`failures\` integer not null default 0, constraint \`login_challenges_user_id_foreign\` foreign key (\`user_id\`) references \`users\` (\`id\`) on delete cascade);`);
    this.addSql(`create unique index \`login_challenges_token_hash_unique\` on \`login_challenges\` (\`token_hash\`);`);
    this.addSql(`create index \`login_challenges_user_id_index\` on \`login_challenges\` (\`user_id\`);`);
  }

}
