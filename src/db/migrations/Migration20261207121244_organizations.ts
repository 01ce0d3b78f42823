import { Migration } from '@mikro-orm/migrations';

export class Migration20261207121244_organizations extends Migration {

  override name = 'Migration20261207121244_organizations';

  override up(): void | Promise<void> {
    this.addSql(`create table \`organizations\` (\`id\` text not null primary key, \`name\` text not null, \`slug\` text not null, \`join_domain\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null);`);
    this.addSql(`create unique index \`organizations_slug_unique\` on \`organizations\` (\`slug\`);`);
    this.addSql(`create index \`organizations_created_at_id_index\` on \`organizations\` (\`created_at\`, \`id\`);`);

    this.addSql(`create table \`active_organizations\` (\`session_id\` text not null primary key, \`organization_id\` text not null, constraint \`active_organizations_session_id_foreign\` foreign key (\`session_id\`) references \`sessions\` (\`id\`) on update cascade on delete cascade, constraint \`active_organizations_organization_id_foreign\` foreign key (\`organization_id\`) references \`organizations\` (\`id\`) on delete cascade);`);
    this.addSql(`create index \`active_organizations_organization_id_index\` on \`active_organizations\` (\`organization_id\`);`);

    this.addSql(`create table \`organization_members\` (\`id\` text not null primary key, \`organization_id\` text not null, \`user_id\` text not null, \`role\` text not null, \`created_at\` datetime not null, constraint \`organization_members_organization_id_foreign\` foreign key (\`organization_id\`) references \`organizations\` (\`id\`) on delete cascade, constraint \`organization_members_user_id_foreign\` foreign key (\`user_id\`) references \`users\` (\`id\`) on delete cascade);`);
    this.addSql(`create index \`organization_members_organization_id_index\` on \`organization_members\` (\`organization_id\`);`);
    this.addSql(`create index \`organization_members_organization_id_created_at_id_index\` on \`organization_members\` (\`organization_id\`, \`created_at\`, \`id\`);`);
    this.addSql(`create index \`organization_members_user_id_index\` on \`organization_members\` (\`user_id\`);`);
    this.addSql(`create unique index \`organization_members_organization_id_user_id_unique\` on \`organization_members\` (\`organization_id\`, \`user_id\`);`);

    this.addSql(`create table \`organization_invitations\` (\`id\` text not null primary key, \`organization_id\` text not null, \`email\` text not null, \`email_key\` text not null, \`role\` text not null, \`token_hash\` text not null, \`invited_by_id\` text null, \`created_at\` datetime not null, \`expires_at\` datetime not null, \`accepted_at\` datetime null, \`revoked_at\` datetime null, constraint \`organization_invitations_organization_id_foreign\` foreign key (\`organization_id\`) references \`organizations\` (\`id\`) on delete cascade, constraint \`organization_invitations_invited_by_id_foreign\` foreign key (\`invited_by_id\`) references \`users\` (\`id\`) on delete set null);`);
    this.addSql(`create index \`organization_invitations_organization_id_index\` on \`organization_invitations\` (\`organization_id\`);`);
    this.addSql(`create unique index \`organization_invitations_token_hash_unique\` on \`organization_invitations\` (\`token_hash\`);`);
    this.addSql(`create index \`organization_invitations_invited_by_id_index\` on \`organization_invitations\` (\`invited_by_id\`);`);
    this.addSql(`create index \`organization_invitations_organization_id_email_key_index\` on \`organization_invitations\` (\`organization_id\`, \`email_key\`);`);
    this.addSql(`create index \`organization_invitations_invited_by_id_created_at_index\` on \`organization_invitations\` (\`invited_by_id\`, \`created_at\`);`);

    this.addSql(`alter table \`audit_events\` add column \`organization_id\` text null;`);
    this.addSql(`create index \`audit_events_organization_id_index\` on \`audit_events\` (\`organization_id\`);`);


    this.addSql(`alter table \`access_tokens\` add column \`organization_id\` text null constraint \`access_tokens_organization_id_foreign\` references \`organizations\` (\`id\`) on delete cascade;`);
    this.addSql(`create index \`access_tokens_organization_id_index\` on \`access_tokens\` (\`organization_id\`);`);
  }

  override down(): void | Promise<void> {

    this.addSql(`drop table if exists \`organizations\`;`);
    this.addSql(`drop table if exists \`active_organizations\`;`);
    this.addSql(`drop table if exists \`organization_members\`;`);
    this.addSql(`drop table if exists \`organization_invitations\`;`);

    this.addSql(`drop index \`access_tokens_organization_id_index\`;`);
    this.addSql(`alter table \`access_tokens\` drop column \`organization_id\`;`);

    this.addSql(`drop index \`audit_events_organization_id_index\`;`);
    this.addSql(`alter table \`audit_events\` drop column \`organization_id\`;`);

  }

}
