/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Command } from 'commander';
import { CliContext } from '../context';
import type { CliIo } from '../context';
import { connectHandler } from './handler';
import { connectOptions } from './options';
import type { ConnectOptions } from './options';

/** The member whose own file to write: --member (or MGMT_MEMBER) when given, not its default. */
function selfOf(cmd: Command, member: string): string | undefined {
  let root: Command = cmd;
  while (root.parent !== null) root = root.parent;
  const source = root.getOptionValueSource('member');
  return source === 'cli' || source === 'env' ? member : undefined;
}

/** Registers `mgmt connect`. */
export function registerConnect(program: Command, io: CliIo): Command {
  const command = program
    .command('connect')
    .description("write the connection file of a network you already run (fabric-samples test-network, a cryptogen folder, or explicit endpoints), filled and checked from the network itself")
    .addHelpText(
      'after',
      [
        '',
        'Channels, members, signers and the consensus type come from the network: the peer is asked which channels it',
        'has joined and the primary channel\'s config block is read. Then every peer and orderer is asked with the file\'s',
        'identities; the file is written only if they answer (unless --no-check). With --member <mspId>, the file holds',
        "that member's own MSP folders and only public copies (no keystore/) of the others'.",
        'Exit codes: 0 written, 1 the network did not answer or the check failed, 2 bad input.',
        '',
        'Example:',
        '  mgmt connect --test-network ~/fabric-samples/test-network/organizations --channel mychannel --management-channel mgmt --out net.json',
        '  mgmt connect --member Org2MSP --test-network ./organizations --out org2.json',
        '  mgmt connect --crypto ./crypto-config --peer Org1MSP=127.0.0.1:7051 --peer Org2MSP=127.0.0.1:7055 --orderer OrdererMSP=127.0.0.1:6050',
        '  mgmt connect --org Org1MSP,peer=localhost:7051,peerTls=tls.pem,caCert=ca.pem,adminMsp=admin/msp,userMsp=user/msp --org Org2MSP,...',
        '  mgmt connect --test-network ./organizations --wallet ./wallet --identity appUser',
      ].join('\n'),
    )
    .action(async (options: ConnectOptions, cmd: Command) => {
      const ctx = new CliContext(cmd, io);
      await connectHandler(ctx, options, selfOf(cmd, ctx.globals.member));
    });
  for (const option of connectOptions()) command.addOption(option);
  return command;
}
