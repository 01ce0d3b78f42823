import { Migration } from '@mikro-orm/migrations';

export class Migration20261123141614_oauth extends Migration {

  override name = 'Migration20261123141614_oauth';

  override up(): void | Promise<void> {
    this.addSql(`create table \`oauth_login_codes\` (\`code_hash\` text not null primary key, \`user_id\` text not null, \`provider\` text not null, \`created_at\` datetime not null, \`expires_at\` datetime not null, constraint \`oauth_login_codes_user_id_foreign\` foreign key (\`user_id\`) references \`users\` (\`id\`) on delete cascade);`);
    this.addSql(`create index \`oauth_login_codes_user_id_index\` on \`oauth_login_codes\` (\`user_id\`);`);
    this.addSql(`create index \`oauth_login_codes_expires_at_index\` on \`oauth_login_codes\` (\`expires_at\`);`);

    this.addSql(`create table \`oauth_flows\` (\`id\` text not null primary key, \`start_token_hash\` text not null, \`state_hash\` text null, \`provider\` text not null, \`mode\` text check (\`mode\` in ('cookie', 'code', 'link')) not null, \`code_verifier\` text not null, \`nonce\` text not null, \`redirect_to\` text not null, \`link_user_id\` text null, \`binding_hash\` text null, \`created_at\` datetime not null, \`started_at\` datetime null, \`expires_at\` datetime not null, constraint \`oauth_flows_link_user_id_foreign\` foreign key (\`link_user_id\`) references \`users\` (\`id\`) on delete cascade);`);
    this.addSql(`create unique index \`oauth_flows_start_token_hash_unique\` on \`oauth_flows\` (\`start_token_hash\`);`);
    this.addSql(`create unique index \`oauth_flows_state_hash_unique\` on \`oauth_flows\` (\`state_hash\`);`);
    this.addSql(`create index \`oauth_flows_link_user_id_index\` on \`oauth_flows\` (\`link_user_id\`);`);
    this.addSql(`create index \`oauth_flows_expires_at_index\` on \`oauth_flows\` (\`expires_at\`);`);

    this.addSql(`create table \`oauth_accounts\` (\`id\` text not null primary key, \`user_id\` text not null, \`provider\` text not null, \`subject\` text not null, \`login\` text null, \`email\` text null, \`linked_at\` datetime not null, \`last_used_at\` datetime null, constraint \`oauth_accounts_user_id_foreign\` foreign key (\`user_id\`) references \`users\` (\`id\`) on delete cascade);`);
    this.addSql(`create index \`oauth_accounts_user_id_index\` on \`oauth_accounts\` (\`user_id\`);`);
    this.addSql(`create unique index \`oauth_accounts_provider_subject_unique\` on \`oauth_accounts\` (\`provider\`, \`subject\`);`);
    this.addSql(`create unique index \`oauth_accounts_user_id_provider_unique\` on \`oauth_accounts\` (\`user_id\`, \`provider\`);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`oauth_login_codes\`;`);
    this.addSql(`drop table if exists \`oauth_flows\`;`);
    this.addSql(`drop table if exists \`oauth_accounts\`;`);
  }

}
