// Every entity the ORM knows. A domain adding an entity lists it here once.
import { EmailToken, User } from './accounts/entities.ts';
import { Session } from './sessions/entities.ts';
import { Permission, Role } from './access/entities.ts';
import { AuditEvent } from './audit/entities.ts';
import { AccessToken } from './tokens/entities.ts';
import { SystemSetting } from './maintenance/entities.ts';
import { OAuthAccount, OAuthFlow, OAuthLoginCode } from './oauth/entities.ts';
import { LoginChallenge, RecoveryCode, TotpFactor } from './mfa/entities.ts';
import { Passkey, PasskeyChallenge } from './passkeys/entities.ts';
import { KnownDevice } from './auth/entities.ts';
import { WebhookDelivery, WebhookEndpoint, WebhookEvent } from './webhooks/entities.ts';
import { ActiveOrganization, Organization, OrganizationInvitation, OrganizationMember, OrganizationRoleDefinition } from './organizations/entities.ts';

export const entities = [User, EmailToken, Session, Permission, Role, AuditEvent, AccessToken, SystemSetting, OAuthAccount, OAuthFlow, OAuthLoginCode, Passkey, PasskeyChallenge, TotpFactor, RecoveryCode, LoginChallenge, KnownDevice, WebhookEndpoint, WebhookEvent, WebhookDelivery, Organization, OrganizationMember, OrganizationInvitation, ActiveOrganization, OrganizationRoleDefinition];
