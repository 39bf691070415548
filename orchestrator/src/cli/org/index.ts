/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Command } from 'commander';
import { CliContext } from '../context';
import type { CliIo } from '../context';
import { orgNewHandler } from './handler';
import { orgNewOptions } from './options';
import type { OrgNewOptions } from './options';

/** Registers `mgmt org new`. */
export function registerOrg(program: Command, io: CliIo): Command {
  const org = program
    .command('org')
    .description("an organisation's material, for admitting it to the consortium")
    .addHelpText('after', ['', 'Example:', '  mgmt org new Org5MSP --domain org5.example.com --out ./org5'].join('\n'));
  const create = org
    .command('new')
    .description('make the crypto material of an organisation that asks to join (cryptogen layout) and the file `mgmt propose --add-org` takes')
    .argument('<mspId>', 'its MSP ID, e.g. Org5MSP')
    .addHelpText('after', ['', 'Example:', '  mgmt org new Org5MSP --domain org5.example.com --out ./org5', '  mgmt --member Org1MSP propose --add-org ./org5/Org5MSP.json'].join('\n'))
    .action(async (mspId: string, options: OrgNewOptions, cmd: Command) => orgNewHandler(new CliContext(cmd, io), mspId, options));
  for (const option of orgNewOptions()) create.addOption(option);
  return org;
}
