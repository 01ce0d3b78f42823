import { Migration } from '@mikro-orm/migrations';

export class Migration20261123121112_access_tokens extends Migration {

  override name = 'Migration20261123121112_access_tokens';

  override up(): void | Promise<void> {
    this.addSql(`create table \`access_tokens\` (\`id\` text not null primary key, \`user_id\` text not null, \`name\` text not null, \`token_hash\` text not null, \`last_four\` text not null, \`permissions\` json null, \`created_at\` datetime not null, \`expires_at\` datetime null, \`last_used_at\` datetime null, constraint \`access_tokens_user_id_foreign\` foreign key (\`user_id\`) references \`users\` (\`id\`) on delete cascade);`);
    this.addSql(`create index \`access_tokens_user_id_index\` on \`access_tokens\` (\`user_id\`);`);
    this.addSql(`create unique index \`access_tokens_token_hash_unique\` on \`access_tokens\` (\`token_hash\`);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`access_tokens\`;`);
  }

}
