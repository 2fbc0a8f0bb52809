// The user's settings as one object: notification settings (push service) and who may add them to groups (accounts).

import type { GroupAdds, MuteUntil, Settings } from "@parley/protocol";
import type { AccountService } from "./account-service.js";
import type { PushService } from "./push/push-service.js";

export class SettingsService {
  constructor(
    private readonly push: PushService,
    private readonly accounts: AccountService,
  ) {}

  async get(userId: string): Promise<Settings> {
    const [notifications, groupAdds] = await Promise.all([this.push.settings(userId), this.accounts.groupAdds(userId)]);
    return { ...notifications, groupAdds };
  }

  async update(
    userId: string,
    input: { dnd?: MuteUntil; previews?: boolean; mentionsInMuted?: boolean; groupAdds?: GroupAdds },
  ): Promise<Settings> {
    const { groupAdds, ...notificationPatch } = input;
    // The notification fields first: their validation (dnd in the past) must refuse the request before anything is stored.
    const notifications = await this.push.updateSettings(userId, notificationPatch);
    const adds =
      groupAdds === undefined ? await this.accounts.groupAdds(userId) : await this.accounts.setGroupAdds(userId, groupAdds);
    return { ...notifications, groupAdds: adds };
  }
}
