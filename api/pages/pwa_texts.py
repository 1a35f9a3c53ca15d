"""The words of the card page's web app (install, a wallet app, offline, notifications), in
Russian and English (merged into ``texts.TEXTS``)."""

from __future__ import annotations

PWA_TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "install_small": "Установить",
        "install_card": "Карту на телефон",
        "install_howto": "Откройте меню браузера (⋮) и выберите «Установить приложение» "
        "или «Добавить на главный экран».",
        "wallet_app_small": "Добавить в приложение-кошелёк",
        "wallet_app": "Wallet Passes, Pass2U",
        "updated_at": "Обновлено {at}",
        "offline": "Нет сети: карта такая, какой была при последнем обновлении.",
        "push_enable": "Получать уведомления",
        "push_on": "Уведомления включены.",
        "push_failed": "Уведомления не включились: разрешите их в настройках браузера.",
    },
    "en": {
        "install_small": "Install",
        "install_card": "The card on your phone",
        "install_howto": "Open the browser's menu (⋮) and choose “Install app” or “Add to "
        "Home screen”.",
        "wallet_app_small": "Add to a wallet app",
        "wallet_app": "Wallet Passes, Pass2U",
        "updated_at": "Updated {at}",
        "offline": "You are offline: the card as it was when last updated.",
        "push_enable": "Get notifications",
        "push_on": "Notifications are on.",
        "push_failed": "Notifications are off: allow them in the browser's settings.",
    },
}
