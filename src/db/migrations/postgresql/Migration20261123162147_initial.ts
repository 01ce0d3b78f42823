import { Migration } from '@mikro-orm/migrations';

export class Migration20261123162147_initial extends Migration {

  override name = 'Migration20261123162147_initial';

  override up(): void | Promise<void> {
    this.addSql(`create table "audit_events" ("id" serial primary key, "at" timestamptz not null, "actor_type" text not null, "actor_id" varchar(36) null, "actor_email" varchar(320) null, "action" varchar(64) not null, "target_type" varchar(32) null, "target_id" varchar(64) null, "ip" varchar(64) null, "user_agent" varchar(512) null, "details" jsonb null);`);
    this.addSql(`create index "audit_events_at_index" on "audit_events" ("at");`);
    this.addSql(`create index "audit_events_actor_id_index" on "audit_events" ("actor_id");`);
    this.addSql(`create index "audit_events_target_id_index" on "audit_events" ("target_id");`);
    this.addSql(`create index "audit_events_action_index" on "audit_events" ("action");`);
    this.addSql(`alter table "audit_events" add constraint "audit_events_actor_type_check" check ("actor_type" in ('user', 'anonymous', 'system', 'cli'));`);

    this.addSql(`create table "permissions" ("id" varchar(36) not null, "name" varchar(64) not null, "description" varchar(500) null, "built_in" boolean not null default false, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "permissions" add constraint "permissions_name_unique" unique ("name");`);

    this.addSql(`create table "roles" ("id" varchar(36) not null, "name" varchar(64) not null, "description" varchar(500) null, "built_in" boolean not null default false, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "roles" add constraint "roles_name_unique" unique ("name");`);

    this.addSql(`create table "role_permissions" ("role_id" varchar(36) not null, "permission_id" varchar(36) not null, primary key ("role_id", "permission_id"));`);

    this.addSql(`create table "system_settings" ("key" varchar(64) not null, "value" jsonb not null, "updated_at" timestamptz not null, "updated_by" varchar(320) null, primary key ("key"));`);

    this.addSql(`create table "users" ("id" varchar(36) not null, "email" varchar(320) not null, "email_key" varchar(320) not null, "password_hash" varchar(255) null, "email_confirmed_at" timestamptz null, "display_name" varchar(100) null, "first_name" varchar(100) null, "last_name" varchar(100) null, "phone" varchar(40) null, "bio" text null, "avatar_url" varchar(2048) null, "disabled" boolean not null default false, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "users" add constraint "users_email_key_unique" unique ("email_key");`);
    this.addSql(`create index "users_created_at_id_index" on "users" ("created_at", "id");`);

    this.addSql(`create table "sessions" ("id" varchar(36) not null, "token_hash" varchar(64) not null, "user_id" varchar(36) not null, "created_at" timestamptz not null, "last_seen_at" timestamptz not null, "expires_at" timestamptz not null, "ip_address" varchar(64) null, "user_agent" varchar(512) null, primary key ("id"));`);
    this.addSql(`alter table "sessions" add constraint "sessions_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "sessions_user_id_index" on "sessions" ("user_id");`);

    this.addSql(`create table "oauth_login_codes" ("code_hash" varchar(64) not null, "user_id" varchar(36) not null, "provider" varchar(32) not null, "app_challenge" varchar(43) not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, primary key ("code_hash"));`);
    this.addSql(`create index "oauth_login_codes_user_id_index" on "oauth_login_codes" ("user_id");`);
    this.addSql(`create index "oauth_login_codes_expires_at_index" on "oauth_login_codes" ("expires_at");`);

    this.addSql(`create table "oauth_flows" ("id" varchar(36) not null, "start_token_hash" varchar(64) not null, "state_hash" varchar(64) null, "provider" varchar(32) not null, "mode" text not null, "code_verifier" varchar(128) not null, "nonce" varchar(64) not null, "redirect_to" varchar(2048) not null, "link_user_id" varchar(36) null, "binding_hash" varchar(64) null, "app_challenge" varchar(43) null, "created_at" timestamptz not null, "started_at" timestamptz null, "expires_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "oauth_flows" add constraint "oauth_flows_start_token_hash_unique" unique ("start_token_hash");`);
    this.addSql(`alter table "oauth_flows" add constraint "oauth_flows_state_hash_unique" unique ("state_hash");`);
    this.addSql(`create index "oauth_flows_link_user_id_index" on "oauth_flows" ("link_user_id");`);
    this.addSql(`create index "oauth_flows_expires_at_index" on "oauth_flows" ("expires_at");`);
    this.addSql(`alter table "oauth_flows" add constraint "oauth_flows_mode_check" check ("mode" in ('cookie', 'code', 'link'));`);

    this.addSql(`create table "oauth_accounts" ("id" varchar(36) not null, "user_id" varchar(36) not null, "provider" varchar(32) not null, "subject" varchar(255) not null, "login" varchar(255) null, "email" varchar(320) null, "linked_at" timestamptz not null, "last_used_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "oauth_accounts_user_id_index" on "oauth_accounts" ("user_id");`);
    this.addSql(`alter table "oauth_accounts" add constraint "oauth_accounts_provider_subject_unique" unique ("provider", "subject");`);
    this.addSql(`alter table "oauth_accounts" add constraint "oauth_accounts_user_id_provider_unique" unique ("user_id", "provider");`);

    this.addSql(`create table "email_tokens" ("token_hash" varchar(64) not null, "user_id" varchar(36) not null, "purpose" text not null, "email" varchar(320) not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "used_at" timestamptz null, primary key ("token_hash"));`);
    this.addSql(`create index "email_tokens_user_id_index" on "email_tokens" ("user_id");`);
    this.addSql(`alter table "email_tokens" add constraint "email_tokens_purpose_check" check ("purpose" in ('confirm-email', 'reset-password'));`);

    this.addSql(`create table "access_tokens" ("id" varchar(36) not null, "user_id" varchar(36) not null, "name" varchar(100) not null, "token_hash" varchar(64) not null, "last_four" varchar(4) not null, "permissions" jsonb null, "created_at" timestamptz not null, "expires_at" timestamptz null, "last_used_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "access_tokens_user_id_index" on "access_tokens" ("user_id");`);
    this.addSql(`alter table "access_tokens" add constraint "access_tokens_token_hash_unique" unique ("token_hash");`);

    this.addSql(`create table "user_roles" ("user_id" varchar(36) not null, "role_id" varchar(36) not null, primary key ("user_id", "role_id"));`);

    this.addSql(`alter table "role_permissions" add constraint "role_permissions_role_id_foreign" foreign key ("role_id") references "roles" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "role_permissions" add constraint "role_permissions_permission_id_foreign" foreign key ("permission_id") references "permissions" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "sessions" add constraint "sessions_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);

    this.addSql(`alter table "oauth_login_codes" add constraint "oauth_login_codes_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);

    this.addSql(`alter table "oauth_flows" add constraint "oauth_flows_link_user_id_foreign" foreign key ("link_user_id") references "users" ("id") on delete cascade;`);

    this.addSql(`alter table "oauth_accounts" add constraint "oauth_accounts_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);

    this.addSql(`alter table "email_tokens" add constraint "email_tokens_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);

    this.addSql(`alter table "access_tokens" add constraint "access_tokens_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);

    this.addSql(`alter table "user_roles" add constraint "user_roles_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "user_roles" add constraint "user_roles_role_id_foreign" foreign key ("role_id") references "roles" ("id") on update cascade on delete cascade;`);
  }

}
