import { Migration } from '@mikro-orm/migrations';

export class Migration20261207121245_organizations extends Migration {

  override name = 'Migration20261207121245_organizations';

  override up(): void | Promise<void> {
    this.addSql(`create table "organizations" ("id" varchar(36) not null, "name" varchar(100) not null, "slug" varchar(64) not null, "join_domain" varchar(253) null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "organizations" add constraint "organizations_slug_unique" unique ("slug");`);
    this.addSql(`create index "organizations_created_at_id_index" on "organizations" ("created_at", "id");`);

    this.addSql(`create table "active_organizations" ("session_id" varchar(36) not null, "organization_id" varchar(36) not null, primary key ("session_id"));`);
    this.addSql(`create index "active_organizations_organization_id_index" on "active_organizations" ("organization_id");`);

    this.addSql(`create table "organization_members" ("id" varchar(36) not null, "organization_id" varchar(36) not null, "user_id" varchar(36) not null, "role" varchar(64) not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "organization_members_organization_id_created_at_id_index" on "organization_members" ("organization_id", "created_at", "id");`);
    this.addSql(`create index "organization_members_user_id_index" on "organization_members" ("user_id");`);
    this.addSql(`alter table "organization_members" add constraint "organization_members_organization_id_user_id_unique" unique ("organization_id", "user_id");`);

    this.addSql(`create table "organization_invitations" ("id" varchar(36) not null, "organization_id" varchar(36) not null, "email" varchar(320) not null, "email_key" varchar(320) not null, "role" varchar(64) not null, "token_hash" varchar(64) not null, "invited_by_id" varchar(36) null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "accepted_at" timestamptz null, "revoked_at" timestamptz null, primary key ("id"));`);
    this.addSql(`alter table "organization_invitations" add constraint "organization_invitations_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "organization_invitations_organization_id_email_key_index" on "organization_invitations" ("organization_id", "email_key");`);
    this.addSql(`create index "organization_invitations_invited_by_id_created_at_index" on "organization_invitations" ("invited_by_id", "created_at");`);

    this.addSql(`alter table "audit_events" add "organization_id" varchar(36) null;`);
    this.addSql(`create index "audit_events_organization_id_index" on "audit_events" ("organization_id");`);

    this.addSql(`alter table "access_tokens" add "organization_id" varchar(36) null;`);
    this.addSql(`alter table "access_tokens" add constraint "access_tokens_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on delete cascade;`);
    this.addSql(`create index "access_tokens_organization_id_index" on "access_tokens" ("organization_id");`);

    this.addSql(`alter table "active_organizations" add constraint "active_organizations_session_id_foreign" foreign key ("session_id") references "sessions" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "active_organizations" add constraint "active_organizations_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on delete cascade;`);

    this.addSql(`alter table "organization_members" add constraint "organization_members_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on delete cascade;`);
    this.addSql(`alter table "organization_members" add constraint "organization_members_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);

    this.addSql(`alter table "organization_invitations" add constraint "organization_invitations_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on delete cascade;`);
    this.addSql(`alter table "organization_invitations" add constraint "organization_invitations_invited_by_id_foreign" foreign key ("invited_by_id") references "users" ("id") on delete set null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "active_organizations" drop constraint "active_organizations_organization_id_foreign";`);
    this.addSql(`alter table "organization_members" drop constraint "organization_members_organization_id_foreign";`);
    this.addSql(`alter table "organization_invitations" drop constraint "organization_invitations_organization_id_foreign";`);
    this.addSql(`alter table "access_tokens" drop constraint "access_tokens_organization_id_foreign";`);

    this.addSql(`drop table if exists "organizations" cascade;`);
    this.addSql(`drop table if exists "active_organizations" cascade;`);
    this.addSql(`drop table if exists "organization_members" cascade;`);
    this.addSql(`drop table if exists "organization_invitations" cascade;`);

    this.addSql(`drop index "access_tokens_organization_id_index";`);
    this.addSql(`alter table "access_tokens" drop column "organization_id";`);

    this.addSql(`drop index "audit_events_organization_id_index";`);
    this.addSql(`alter table "audit_events" drop column "organization_id";`);
  }

}
