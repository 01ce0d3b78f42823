// `gatehouse organization …`: organizations for operators, through the same services as GraphQL
// (audited with the command line as actor), e.g. to hand an organization on when its owner has left.
import { CliFailure, UsageError, type CliIO } from '../cli/io.ts';
import { parseCommandArgs, type CliCommand } from '../cli/command.ts';
import type { EntityManager } from '@mikro-orm/sql';
import { findUserByEmail } from '../accounts/service.ts';
import { Organization, OrganizationMember } from './entities.ts';
import { deleteOrganization, memberCount, transferOwnership } from './service.ts';
import { listMembers, listOrganizations, PAGE_MAX } from './lists.ts';
import { OWNER_ROLE } from './declarations.ts';

export const ORGANIZATION_USAGE = `  organization list [--search <text>] [--json]      organizations, oldest first (at most ${PAGE_MAX}), with their owner
  organization members <slug> [--json]              its members in joining order (at most ${PAGE_MAX}) and their roles
  organization transfer <slug> <email>              make a member the owner (the owner becomes an admin)
  organization delete <slug>                        delete it with its memberships and invitations`;

async function bySlug(em: EntityManager, slug: string): Promise<Organization> {
  const organization = await em.findOne(Organization, { slug: slug.trim().toLowerCase() });
  if (!organization) throw new CliFailure(`No organization with the slug "${slug}".`);
  return organization;
}

const memberJson = (m: OrganizationMember) => ({ userId: m.user.id, email: m.user.email, role: m.role, joinedAt: m.createdAt });

function printJson(io: CliIO, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export async function organizationCommand({ io, args, asOperator }: CliCommand): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'list': {
      const { values } = parseCommandArgs(rest, { search: { type: 'string' }, json: { type: 'boolean' } }, 0);
      const rows = await asOperator(async (scope) => {
        const page = await listOrganizations(scope.em, { first: PAGE_MAX, search: values.search ?? null });
        const ids = page.items.map((organization) => organization.id);
        const owners = await scope.em.find(OrganizationMember, { organization: { $in: ids }, role: OWNER_ROLE }, { populate: ['user'] });
        const ownerOf = new Map(owners.map((member) => [member.organization.id, member.user.email]));
        const items = [];
        for (const organization of page.items) {
          items.push({ organization, owner: ownerOf.get(organization.id) ?? null, members: await memberCount(scope.em, organization.id) });
        }
        return { items, more: page.hasNextPage };
      });
      if (values.json) {
        printJson(io, rows.items.map(({ organization: o, owner, members }) => ({ id: o.id, name: o.name, slug: o.slug, owner, members, joinDomain: o.joinDomain ?? null, createdAt: o.createdAt })));
      } else if (!rows.items.length) io.stdout.write('No organizations.\n');
      else {
        for (const { organization: o, owner, members } of rows.items) io.stdout.write(`${o.slug}  ${o.name}  owner ${owner ?? '(none)'}  ${members} member${members === 1 ? '' : 's'}\n`);
        if (rows.more) io.stdout.write(`… more than ${PAGE_MAX}: narrow with --search.\n`);
      }
      return 0;
    }
    case 'members': {
      const { values, positionals } = parseCommandArgs(rest, { json: { type: 'boolean' } }, 1);
      const { members, more } = await asOperator(async (scope) => {
        const organization = await bySlug(scope.em, positionals[0]!);
        const page = await listMembers(scope.em, organization.id, { first: PAGE_MAX });
        return { members: page.items, more: page.hasNextPage };
      });
      if (values.json) printJson(io, members.map(memberJson));
      else {
        for (const m of members) io.stdout.write(`${m.user.email}  ${m.role}\n`);
        if (more) io.stdout.write(`… more than ${PAGE_MAX} members: the console or GraphQL pages through them all.\n`);
      }
      return 0;
    }
    case 'transfer': {
      const { positionals } = parseCommandArgs(rest, {}, 2);
      const [slug, email] = positionals as [string, string];
      const organization = await asOperator(async (scope) => {
        const found = await bySlug(scope.em, slug);
        const user = await findUserByEmail(scope, email);
        if (!user) throw new CliFailure(`No account with the email ${email}.`);
        return transferOwnership(scope, found.id, user.id);
      });
      io.stdout.write(`${email} now owns ${organization.slug} (${organization.name}); the previous owner is an admin.\n`);
      return 0;
    }
    case 'delete': {
      const { positionals } = parseCommandArgs(rest, {}, 1);
      const deleted = await asOperator(async (scope) => deleteOrganization(scope, (await bySlug(scope.em, positionals[0]!)).id));
      io.stdout.write(`Deleted ${deleted.slug} (${deleted.name}) with its memberships and invitations.\n`);
      return 0;
    }
    default:
      throw new UsageError(sub ? `Unknown organization command "${sub}".` : 'Use: gatehouse organization list|members|transfer|delete');
  }
}
