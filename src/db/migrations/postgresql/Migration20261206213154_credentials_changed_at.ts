import { Migration } from '@mikro-orm/migrations';

export class Migration20261206213154_credentials_changed_at extends Migration {

  override name = 'Migration20261206213154_credentials_changed_at';

  override up(): void | Promise<void> {
    this.addSql(`alter table "users" add "credentials_changed_at" timestamptz null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "users" drop column "credentials_changed_at";`);
  }

}
