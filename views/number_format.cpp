#include "views/number_format.h"

#include <QLocale>

namespace tp {

QString formatCount(qint64 n) {
    QLocale locale;
    locale.setNumberOptions(locale.numberOptions() & ~QLocale::OmitGroupSeparator);
    return locale.toString(n);
}

}  // namespace tp
